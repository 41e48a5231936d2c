"""Test helpers shared by every suite: free ports, service processes, fake OpenAI server."""
