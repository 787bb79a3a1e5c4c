"""Server-rendered pages (Jinja2 + HTMX): thin adapters over the services, like the API."""
