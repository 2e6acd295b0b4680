// The graph of a DAG's tasks, laid out by dagre (served from its package at /vendor/dagre.min.js), drawn as SVG,
// each node coloured by the task's state in the selected run. Clicking a node opens that task's log.
const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) node.setAttribute(k, String(v));
  for (const c of children) node.append(c);
  return node;
}

/** `dependsOn`: task → upstream tasks; `states`: task → state in the run; `onSelect(task)` on a click. */
export function dagGraph(tasks, dependsOn, states, onSelect) {
  const dagre = window.dagre;
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 18, ranksep: 46, marginx: 8, marginy: 8 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const t of tasks) g.setNode(t, { width: Math.max(90, t.length * 7.4 + 24), height: 34 });
  for (const t of tasks) for (const up of dependsOn[t] ?? []) g.setEdge(up, t);
  dagre.layout(g);
  const { width, height } = g.graph();
  const root = svg('svg', {
    viewBox: `0 0 ${width} ${height}`,
    width,
    role: 'img',
    'aria-label': 'task graph',
  });
  root.append(
    svg(
      'defs',
      {},
      svg(
        'marker',
        {
          id: 'arrow',
          viewBox: '0 0 10 10',
          refX: 9,
          refY: 5,
          markerWidth: 7,
          markerHeight: 7,
          orient: 'auto',
        },
        svg('path', { d: 'M0,0 L10,5 L0,10 z', fill: 'currentColor' }),
      ),
    ),
  );
  for (const e of g.edges()) {
    const points = g.edge(e).points;
    const d = points.map((p, i) => `${i ? 'L' : 'M'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
    root.append(svg('path', { class: 'edge', d, 'marker-end': 'url(#arrow)' }));
  }
  for (const t of tasks) {
    const n = g.node(t);
    const state = states[t] ?? 'none';
    const title = svg('title');
    title.textContent = `${t}: ${state}`;
    const label = svg('text', { x: n.x, y: n.y + 4, 'text-anchor': 'middle' });
    label.textContent = t;
    const node = svg(
      'g',
      { class: `node state-${state}`, 'data-task-id': t, tabindex: 0, role: 'button' },
      title,
      svg('rect', { x: n.x - n.width / 2, y: n.y - n.height / 2, width: n.width, height: n.height, rx: 6 }),
      label,
    );
    node.addEventListener('click', () => onSelect(t));
    node.addEventListener('keydown', (e) => e.key === 'Enter' && onSelect(t));
    root.append(node);
  }
  return root;
}
