"""The strategy engine: segmentation, policies as data, champion/challenger, the end-of-day run, queues."""
