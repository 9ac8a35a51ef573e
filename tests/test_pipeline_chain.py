"""DS601 names the longest chain of scripts handing data to a read; it is found by dynamic
programming, and must be the chain that enumerating every path would pick."""

from __future__ import annotations

import networkx as nx
from hypothesis import given, settings
from hypothesis import strategies as st

from debtscan.rules.pipeline import _longest_chain


def by_enumeration(graph: nx.DiGraph, target: str, hops: int) -> list[str]:
    best = [target]
    for source in sorted(nx.ancestors(graph, target)):
        for path in nx.all_simple_paths(graph, source, target, cutoff=hops):
            if len(path) > len(best) or len(path) == len(best) and path < best:
                best = path
    return best


@settings(max_examples=200, deadline=None)
@given(st.integers(2, 12).flatmap(lambda size: st.tuples(
    st.just(size), st.sets(st.tuples(st.integers(0, size - 1), st.integers(0, size - 1)), max_size=40))),
       st.integers(1, 8))
def test_the_chain_is_the_longest_and_first_in_order(shape, hops):
    size, pairs = shape
    graph = nx.DiGraph()
    graph.add_nodes_from(f"s{index:02}.py" for index in range(size))
    graph.add_edges_from((f"s{low:02}.py", f"s{high:02}.py") for low, high in pairs if low < high)  # a DAG
    for target in graph.nodes:
        assert _longest_chain(graph, target, hops) == by_enumeration(graph, target, hops)


def test_a_wide_graph_of_many_programs_gets_its_chain_without_enumerating_paths():
    graph = nx.DiGraph()
    layers = [[f"l{layer}_{index:03}.py" for index in range(60)] for layer in range(12)]
    for upper, lower in zip(layers, layers[1:]):
        graph.add_edges_from((a, b) for a in upper for b in lower)  # 60**11 paths to enumerate
    chain = _longest_chain(graph, layers[-1][0], 8)
    assert len(chain) == 9 and chain[0] == "l3_000.py" and chain[-1] == "l11_000.py"
