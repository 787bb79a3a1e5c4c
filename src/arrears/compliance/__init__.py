"""The compliance guard every contact passes through; holds on cases."""
