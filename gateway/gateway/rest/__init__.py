"""The gateway's REST edge, one module per resource."""
