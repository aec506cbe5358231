"""Built-in prompts of the LLM entity extractor (a workspace prompt can replace each).

Like every agentkit prompt, each is versioned by a hash of its content (`Prompt.version`),
and that version is part of the extraction cache's key: editing a prompt re-extracts,
leaving it alone costs nothing. The one few-shot turn shows the JSON shape with real
content, which keeps a 135M model from echoing names back as descriptions.
"""

from __future__ import annotations

import json

from agentkit.prompts import Example, Prompt

_EXAMPLE_REPLY = {
    "entities": [
        {"name": "Marie Curie", "type": "person", "description": "physicist"},
        {"name": "Warsaw", "type": "place", "description": "city where Marie Curie was born"},
        {"name": "1867", "type": "date", "description": "year Marie Curie was born"},
        {"name": "Nobel Prize in Physics", "type": "event", "description": "prize Marie Curie won"},
        {"name": "Pierre Curie", "type": "person", "description": "shared the prize with Marie Curie"},
    ],
    "relations": [
        {"source": "Marie Curie", "target": "Warsaw", "description": "born in"},
        {"source": "Marie Curie", "target": "Nobel Prize in Physics", "description": "won"},
        {"source": "Marie Curie", "target": "Pierre Curie", "description": "won the prize with"},
    ],
}

EXTRACT = Prompt(
    name="graphrag_extract",
    label="v1",
    description="Entities and relations of one passage, as JSON (the LLM extractor of `agentkit kg build`).",
    system=(
        "You extract a knowledge graph from a passage: the named entities it mentions (people, "
        "organizations, places, works, events, dates) and the relations it states between them. "
        "Write each name exactly as the passage writes it."
    ),
    examples=[Example(
        user="Title: Marie Curie\nMarie Curie was a physicist born in Warsaw in 1867. "
             "She won the Nobel Prize in Physics with Pierre Curie.",
        assistant=json.dumps(_EXAMPLE_REPLY),
    )],
    template="Title: {title}\n{text}",
)

GLEAN = Prompt(
    name="graphrag_glean",
    label="v1",
    description="The gleaning turn: ask once more for what the last reply missed.",
    template=(
        "Some entities or relations of the passage may be missing from your answer. List only the "
        "ones you missed, in the same JSON format; empty lists if none are missing."
    ),
)
