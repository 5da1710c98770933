"""Root mutations, one module per concept; each takes one `input` and returns a payload."""
