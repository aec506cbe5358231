"""Python users: the code builder gives the YAML's graph; node kinds work in a hand-written StateGraph."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, TypedDict

from langchain_core.messages import AnyMessage, HumanMessage
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages

from agentkit import GraphBuilder, dump_yaml, load_spec, make_node

REPO = Path(__file__).resolve().parents[1]


def router_demo_in_code() -> GraphBuilder:
    general = ["What is the capital of France?", "Tell me a fun fact about cats.", "Who wrote Romeo and Juliet?"]
    math = ["What is 12 times 7?", "How much is 15 percent of 80?", "Solve 3x + 5 = 20",
            "What is the square root of 144?"]
    return (
        GraphBuilder("router_demo", description="Route a question by embedding similarity to a calculator-using "
                     "math tutor or a general assistant.", input="question", output="answer")
        .channel("question", "str")
        .channel("messages", "messages")
        .channel("answer", "str")
        .resource("llm", "chat_model", provider="local", max_tokens=64)
        .resource("embedder", "embeddings")
        .node("classify", "route", by="embedding", input="question", embeddings="embedder", threshold=0.35,
              routes={"math": math, "general": general}, default="general")
        .node("math", "tool_agent", llm="llm", tools=["calculator"], tool_choice="calculator",
              system="You are a careful math tutor. Use the calculator with the exact numbers from the question.",
              template="{question}", messages="messages", answer="{expression} = {result}", output="answer",
              max_steps=2)
        .node("general", "llm", llm="llm", system="You are a helpful assistant. Answer in one short sentence.",
              template="{question}", output="answer")
        .edge("START", "classify")
        .routes("classify", {"math": "math", "general": "general"})
        .edge("math", "END")
        .edge("general", "END")
    )


def test_builder_gives_the_same_spec_as_the_yaml_file() -> None:
    from_file = load_spec(REPO / "graphs" / "router_demo.yaml")
    in_code = router_demo_in_code().spec()
    assert in_code == from_file
    assert dump_yaml(in_code) == dump_yaml(from_file)


def test_builder_compiles_with_resources_given_in_code(scripted_llm: Any) -> None:
    graph = (
        GraphBuilder("echo", input="question", output="answer")
        .channel("question", "str").channel("answer", "str")
        .node("reply", "llm", llm="llm", template="Say: {question}", output="answer")
        .edge("START", "reply").edge("reply", "END")
        .compile(resources={"llm": scripted_llm("said it")})
    )
    assert graph.invoke({"question": "hi"})["answer"] == "said it"


class ChatState(TypedDict):
    messages: Annotated[list[AnyMessage], add_messages]


def test_node_kinds_in_a_hand_written_state_graph(scripted_llm: Any) -> None:
    class State(ChatState, total=False):
        route: str

    graph = StateGraph(State)
    graph.add_node("route", make_node("route", by="keywords", input="messages",
                                      routes={"greet": ["hello", "hi"]}, default="other"))
    graph.add_node("reply", make_node("llm", state=State, llm=scripted_llm("Hello Ana!"),
                                      system="Be nice.", messages="messages", output="messages"))
    graph.add_edge(START, "route")
    graph.add_conditional_edges("route", lambda s: s["route"], {"greet": "reply", "other": END})
    graph.add_edge("reply", END)
    result = graph.compile().invoke({"messages": [HumanMessage("hi, I am Ana")]})
    assert [m.type for m in result["messages"]] == ["human", "ai"]
    assert result["messages"][-1].content == "Hello Ana!" and result["route"] == "greet"
