"""The script library (话术库)."""
