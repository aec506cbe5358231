"""The tone evaluator: a shipped tone classifier (toxicity, politeness, formality heads
over MiniLM embeddings), meaning preservation, fluency, and ParaDetox's joint score J.

A lower layer: it uses `agentkit.models` only. Torch and the models load on first use.
"""

from agentkit.tone.data import ToneItem, in_heldout, load_pairs
from agentkit.tone.scoring import ToneScorer, ToneScores, mean_scores

__all__ = ["ToneItem", "ToneScorer", "ToneScores", "in_heldout", "load_pairs", "mean_scores"]
