"""The admin\x27s account pages."""
