"""The REST gateway: FastAPI in front of the recommender and llm gRPC services."""
