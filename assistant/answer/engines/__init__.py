"""Answer engines: extractive (no LLM, always available) and chat-model engines behind LangChain's interface."""
