"""The API's request and response models, one module per area (``server.api.contract`` explains them)."""
