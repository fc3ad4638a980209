"""Where to put the boxes and lines of a drawing of a DAG, top to bottom, without Graphviz.

The classic layered method (Sugiyama et al., 1981), in four short steps:

1. **Layers** (longest path): a node sits one layer below the lowest of its inputs;
   a node with no inputs (a leaf) is pulled down to just above its first user, so
   a parameter is drawn beside the op that uses it, not at the top.
2. **Dummies**: an edge that spans several layers gets an invisible point in each
   layer it crosses, so it is routed around the boxes there.
3. **Order** within each layer (fewer crossings): a few sweeps down and up, each
   sorting a layer by the barycentre (mean position) of its neighbours in the layer
   before; the order with the fewest crossings wins.
4. **x positions**: each node moves toward the mean x of its neighbours, keeping the
   order and a gap to the next box (a least-squares fit under those constraints,
   solved exactly by pooling adjacent violators); repeated down and up.  An op
   follows the ops it is linked to, not its leaves, and a leaf gives way when boxes
   compete for a place: a chain of ops runs straight down, its parameters beside it.

An edge is drawn from the bottom of its source to the top of its target, through its
dummies; the edges into (and out of) one box are spread along its side.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Hashable, Sequence

__all__ = ["Layout", "layered_layout", "crossings"]

Point = tuple[float, float]


@dataclass
class Layout:
    """Centres ``x[node]``, ``y[node]``; per edge (in the given order) its points.

    ``paths[e]`` runs from the source's bottom side to the target's top side:
    ``[start, d1_top, d1_bottom, d2_top, ..., end]``; the pieces between an even
    and the next odd point are curves, the others (through a dummy) straight.
    """
    x: dict
    y: dict
    paths: list[list[Point]]
    width: float
    height: float
    layer: dict


def _layers(nodes: Sequence[Hashable], preds: dict, succs: dict) -> dict:
    """Longest-path layers; sources are pulled down to just above their first user."""
    indeg = {v: len(set(preds[v])) for v in nodes}
    ready = [v for v in nodes if indeg[v] == 0]
    order = []
    while ready:
        v = ready.pop(0)
        order.append(v)
        for s in dict.fromkeys(succs[v]):
            indeg[s] -= 1
            if indeg[s] == 0:
                ready.append(s)
    if len(order) != len(nodes):
        raise ValueError("layered_layout: the graph has a cycle")
    layer = {}
    for v in order:
        layer[v] = 1 + max((layer[p] for p in preds[v]), default=-1)
    for v in nodes:
        if not preds[v] and succs[v]:
            layer[v] = min(layer[s] for s in succs[v]) - 1
    return layer


def crossings(layers: list[list], seg_succs: dict) -> int:
    """How many pairs of segments cross between adjacent layers."""
    pos = {v: i for lv in layers for i, v in enumerate(lv)}
    total = 0
    for upper in layers[:-1]:
        pts = [(pos[v], pos[s]) for v in upper for s in seg_succs[v]]
        for i, (a1, b1) in enumerate(pts):
            for a2, b2 in pts[i + 1:]:
                if (a1 - a2) * (b1 - b2) < 0:
                    total += 1
    return total


def _pava(desired: list[float], offset: list[float], weight: list[float]) -> list[float]:
    """Weighted least squares x with x[i+1] - x[i] >= offset[i+1] - offset[i], order kept.

    With y = x - offset the constraint is y non-decreasing: isotonic regression of
    ``desired - offset``, solved by pooling adjacent violators (a pooled block sits at
    the weighted mean of what its members want).
    """
    blocks: list[list[float]] = []  # [weighted sum, total weight, members]
    for d, o, w in zip(desired, offset, weight):
        blocks.append([(d - o) * w, w, 1])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            s, w2, n = blocks.pop()
            blocks[-1][0] += s
            blocks[-1][1] += w2
            blocks[-1][2] += n
    y: list[float] = []
    for s, w2, n in blocks:
        y.extend([s / w2] * n)
    return [yi + o for yi, o in zip(y, offset)]


def layered_layout(nodes: Sequence[Hashable], sizes: dict, edges: Sequence[tuple],
                   node_gap: float = 24.0, layer_gap: float = 42.0, margin: float = 12.0,
                   sweeps: int = 8) -> Layout:
    """Lay out the DAG ``nodes``/``edges`` (``sizes[node] = (width, height)``) top to bottom.

    Edges may repeat (``a * a`` uses ``a`` twice); each gets its own path.
    """
    nodes = list(nodes)
    preds: dict = {v: [] for v in nodes}
    succs: dict = {v: [] for v in nodes}
    for a, b in edges:
        succs[a].append(b)
        preds[b].append(a)
    layer = _layers(nodes, preds, succs)

    # 2. dummies: every edge becomes a chain of segments between adjacent layers
    real = set(nodes)
    width = {v: float(sizes[v][0]) for v in nodes}
    seg_preds: dict = {v: [] for v in nodes}
    seg_succs: dict = {v: [] for v in nodes}
    chains = []
    for e, (a, b) in enumerate(edges):
        chain = [a]
        for k in range(layer[a] + 1, layer[b]):
            d = ("dummy", e, k)
            layer[d], width[d] = k, 0.0
            seg_preds[d], seg_succs[d] = [], []
            chain.append(d)
        chain.append(b)
        for u, v in zip(chain, chain[1:]):
            seg_succs[u].append(v)
            seg_preds[v].append(u)
        chains.append(chain)

    # 3. order: start from a depth-first walk up from the sinks (inputs left to right)
    rank: dict = {}

    def visit(v) -> None:
        stack = [(v, iter(seg_preds[v]))]
        seen.add(v)
        while stack:
            u, it = stack[-1]
            nxt = next((p for p in it if p not in seen), None)
            if nxt is None:
                stack.pop()
                rank[u] = len(rank)
            else:
                seen.add(nxt)
                stack.append((nxt, iter(seg_preds[nxt])))

    seen: set = set()
    for v in reversed(nodes):
        if not seg_succs[v] and v not in seen:
            visit(v)
    for v in layer:
        if v not in seen:
            visit(v)
    n_layers = 1 + max(layer.values(), default=0)
    layers: list[list] = [[] for _ in range(n_layers)]
    for v in sorted(layer, key=lambda v: rank[v]):
        layers[layer[v]].append(v)

    def sweep(order: list[list], down: bool) -> None:
        rng = range(1, n_layers) if down else range(n_layers - 2, -1, -1)
        for li in rng:
            ref = {v: i for i, v in enumerate(order[li - 1 if down else li + 1])}
            pos = {v: i for i, v in enumerate(order[li])}
            near = seg_preds if down else seg_succs

            def key(v):
                ns = [ref[u] for u in near[v] if u in ref]
                return (sum(ns) / len(ns) if ns else pos[v], pos[v])
            order[li].sort(key=key)

    best, best_c = [list(lv) for lv in layers], crossings(layers, seg_succs)
    for s in range(sweeps):
        if best_c == 0:
            break
        sweep(layers, down=(s % 2 == 0))
        c = crossings(layers, seg_succs)
        if c < best_c:
            best, best_c = [list(lv) for lv in layers], c
    layers = best

    # 4. x: neighbours' mean, ordered, gaps kept; long edges (dummies) pull harder
    def gap(u, v) -> float:
        both = (u in real) + (v in real)
        return (width[u] + width[v]) / 2 + (node_gap if both == 2 else
                                            node_gap / 2 if both == 1 else 8.0)

    def is_leaf(v) -> bool:
        return v in real and not seg_preds[v]

    def pulls(near: dict) -> dict:
        """For each node, (neighbour, weight) pairs: long edges (dummies) pull harder, so
        they run straight; an op ignores its leaves when it has other neighbours, so a
        chain of ops runs straight down with its leaves beside it, not under it."""
        out = {}
        for v in layer:
            ns = near[v]
            if any(not is_leaf(u) for u in ns):
                ns = [u for u in ns if not is_leaf(u)]
            out[v] = [(u, 1.0 + 3.0 * ((u not in real) + (v not in real))) for u in ns]
        return out

    x: dict = {}
    offsets = []
    for lv in layers:
        off = [0.0]
        for u, v in zip(lv, lv[1:]):
            off.append(off[-1] + gap(u, v))
        offsets.append(off)
        for v, o in zip(lv, off):
            x[v] = o - off[-1] / 2
    # when boxes compete for a place, a leaf gives way to an op or a long edge
    stiff = [[0.02 if is_leaf(v) else 1.0 for v in lv] for lv in layers]

    def place(li: int, pull: dict) -> None:
        desired = []
        for v in layers[li]:
            ws = pull[v]
            desired.append(sum(x[u] * w for u, w in ws) / sum(w for _, w in ws) if ws
                           else x[v])
        for v, xv in zip(layers[li], _pava(desired, offsets[li], stiff[li])):
            x[v] = xv

    up, down = pulls(seg_preds), pulls(seg_succs)
    both = pulls({v: seg_preds[v] + seg_succs[v] for v in layer})
    rounds = max(2, min(10, 200_000 // len(layer)))  # fewer on huge graphs: seconds, not minutes
    for _ in range(rounds):
        for li in range(1, n_layers):
            place(li, up)
        for li in range(n_layers - 2, -1, -1):
            place(li, down)
    for li in range(n_layers):
        place(li, both)

    # y: each layer as tall as its tallest box; boxes centred in their layer
    heights = [max((sizes[v][1] for v in lv if v in real), default=10.0) for lv in layers]
    tops, y0 = [], margin
    for h in heights:
        tops.append(y0)
        y0 += h + layer_gap
    left = min(x[v] - width[v] / 2 for v in layer)
    for v in x:
        x[v] += margin - left
    y = {v: tops[layer[v]] + heights[layer[v]] / 2 for v in layer}

    def top(v) -> float:
        return tops[layer[v]] if v not in real else y[v] - sizes[v][1] / 2

    def bottom(v) -> float:
        return tops[layer[v]] + heights[layer[v]] if v not in real else y[v] + sizes[v][1] / 2

    # ports: the edges leaving (entering) a box are spread along its bottom (top) side,
    # in the order of where they go (come from), so they do not cross at the box
    outs: dict = {v: [] for v in nodes}
    ins: dict = {v: [] for v in nodes}
    for e, chain in enumerate(chains):
        outs[chain[0]].append(e)
        ins[chain[-1]].append(e)
    out_port: dict = {}
    in_port: dict = {}
    for v in nodes:
        for es, ports, nxt in ((outs[v], out_port, 1), (ins[v], in_port, -2)):
            es.sort(key=lambda e: (x[chains[e][nxt]], e))
            n = len(es)
            step = min(12.0, (width[v] - 12) / (n - 1)) if n > 1 else 0.0
            for k, e in enumerate(es):
                ports[e] = x[v] + (k - (n - 1) / 2) * max(step, 0.0)
    paths = []
    for e, chain in enumerate(chains):
        a, b = chain[0], chain[-1]
        pts: list[Point] = [(out_port[e], bottom(a))]
        for d in chain[1:-1]:
            pts += [(x[d], top(d)), (x[d], bottom(d))]
        pts.append((in_port[e], top(b)))
        paths.append(pts)
    total_w = max(x[v] + width[v] / 2 for v in layer) + margin
    total_h = tops[-1] + heights[-1] + margin
    return Layout({v: x[v] for v in nodes}, {v: y[v] for v in nodes}, paths, total_w,
                  total_h, {v: layer[v] for v in nodes})
