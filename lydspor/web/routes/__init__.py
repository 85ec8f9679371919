"""The pages and their JSON twins, one module per page; ``guard`` is what they share."""
