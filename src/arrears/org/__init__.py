"""Organisations and people who use Arrears: tenants, teams, users."""
