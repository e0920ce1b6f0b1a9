"""Pages served to the browser (without a browser)."""
