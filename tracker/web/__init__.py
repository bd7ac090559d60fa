"""The kit every view uses: form fields, the one edit flow, pagination, loaders that 404, URL helpers, Jinja filters, headers and error pages. Imports the domain, never a staff or public area."""
