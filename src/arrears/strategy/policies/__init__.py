"""Bundled strategy policies (package data): the sample champion and its challenger."""
