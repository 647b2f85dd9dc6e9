"""Routing: the taxonomy, responsible bodies, assignments and deadlines."""
