"""Who may call a server: API keys with scopes, and each key's request rate and token budget."""
