"""The prompts the generation benchmarks share: 8 open-ended requests, 64 new tokens each."""

NEW_TOKENS = 64
PROMPTS = [
    "Write a long story about a dragon who learns to cook.",
    "Explain in detail how photosynthesis works.",
    "Describe the history of the Roman Empire.",
    "Write a long poem about the sea at night.",
    "Explain why the sky is blue, step by step.",
    "Describe a day in the life of a medieval farmer.",
    "Explain how airplanes fly, with examples.",
    "Write a detailed guide to growing tomatoes.",
]
