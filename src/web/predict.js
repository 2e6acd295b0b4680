// Predict: day, hour and category (autocomplete from the current model's categories) → prediction and source.
import { api } from './api.js';
import { $, el, fmtNumber, replace } from './dom.js';

let categoriesLoaded = false;

async function loadCategories() {
  const { categories } = await api('/api/categories');
  replace(
    $('#categories'),
    categories.map((c) => el('option', { value: c })),
  );
  categoriesLoaded = categories.length > 0;
}

function setup() {
  if ($('#predict-day').options.length === 0) {
    replace(
      $('#predict-day'),
      Array.from({ length: 7 }, (_, d) => el('option', { value: d }, `day ${d}`)),
    );
    replace(
      $('#predict-hour'),
      Array.from({ length: 24 }, (_, h) =>
        el('option', { value: h, selected: h === 10 }, `${String(h).padStart(2, '0')}:00`),
      ),
    );
    $('#predict-form').addEventListener('submit', onSubmit);
  }
}

async function onSubmit(event) {
  event.preventDefault();
  const form = new FormData(event.target);
  const path = `/api/predictions/${form.get('day')}/${form.get('hour')}/${encodeURIComponent(String(form.get('category')).trim())}`;
  const out = $('#prediction');
  try {
    const p = await api(path);
    replace(
      out,
      el(
        'div',
        { class: 'prediction-label' },
        `${p.category} · day ${p.day_of_week} · ${String(p.hour_of_day).padStart(2, '0')}:00`,
      ),
      el('div', { class: 'prediction-value', id: 'prediction-value' }, fmtNumber(p.prediction, 2)),
      el('div', { class: 'muted' }, 'predicted items'),
      p.interval
        ? el(
            'div',
            { class: 'muted', id: 'prediction-interval' },
            `80 % interval: ${p.interval.low} – ${p.interval.high} items (10 %–90 % of the predictive distribution)`,
          )
        : null,
      el(
        'div',
        { class: 'prediction-meta' },
        el(
          'span',
          { class: `pill source-${p.source}`, id: 'prediction-source' },
          p.source === 'cache' ? 'from Redis cache' : 'from model',
        ),
        el('span', { class: 'pill' }, `model ${p.model_version}`),
        p.miss_reason ? el('span', { class: 'muted' }, ` miss: ${p.miss_reason}`) : null,
      ),
    );
  } catch (error) {
    const suggestions = error.body?.error?.details?.suggestions ?? [];
    replace(
      out,
      el('div', { class: 'error' }, error.message),
      suggestions.length
        ? el(
            'div',
            {},
            'Did you mean: ',
            suggestions.map((s) =>
              el(
                'button',
                {
                  class: 'link',
                  type: 'button',
                  onclick: () => (
                    ($('#predict-form [name=category]').value = s),
                    $('#predict-form').requestSubmit()
                  ),
                },
                s,
              ),
            ),
          )
        : null,
    );
  }
}

export const predictSection = {
  init: setup,
  async refresh() {
    if (!categoriesLoaded) await loadCategories();
  },
};
