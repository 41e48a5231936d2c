"""Recommender service: catalog, vector index, hybrid ranking and filters."""
