// The 134 aisle names of the public Instacart dataset (aisles.csv order), with a relative popularity used
// by the generator. The top aisles carry most items, as in the real data (fresh fruits and vegetables,
// packaged vegetables fruits, yogurt, …); the rest follow a Zipf-like tail.

export const AISLES: readonly string[] = [
  'prepared soups salads', 'specialty cheeses', 'energy granola bars', 'instant foods', 'marinades meat preparation',
  'other', 'packaged meat', 'bakery desserts', 'pasta sauce', 'kitchen supplies', 'cold flu allergy', 'fresh pasta',
  'prepared meals', 'tofu meat alternatives', 'packaged seafood', 'fresh herbs', 'baking ingredients',
  'bulk dried fruits vegetables', 'oils vinegars', 'oral hygiene', 'packaged cheese', 'hair care', 'popcorn jerky',
  'fresh fruits', 'soap', 'coffee', 'beers coolers', 'red wines', 'honeys syrups nectars', 'latino foods',
  'refrigerated', 'packaged produce', 'kosher foods', 'frozen meat seafood', 'poultry counter', 'butter',
  'ice cream ice', 'frozen meals', 'seafood counter', 'dog food care', 'cat food care', 'frozen vegan vegetarian',
  'buns rolls', 'eye ear care', 'candy chocolate', 'mint gum', 'vitamins supplements', 'breakfast bars pastries',
  'packaged poultry', 'fruit vegetable snacks', 'preserved dips spreads', 'frozen breakfast', 'cream', 'paper goods',
  'shave needs', 'diapers wipes', 'granola', 'frozen breads doughs', 'canned meals beans', 'trash bags liners',
  'cookies cakes', 'white wines', 'grains rice dried goods', 'energy sports drinks', 'protein meal replacements',
  'asian foods', 'fresh dips tapenades', 'bulk grains rice dried goods', 'soup broth bouillon', 'digestion',
  'refrigerated pudding desserts', 'condiments', 'facial care', 'dish detergents', 'laundry', 'indian foods',
  'soft drinks', 'crackers', 'frozen pizza', 'deodorants', 'canned jarred vegetables', 'baby accessories',
  'fresh vegetables', 'milk', 'food storage', 'eggs', 'more household', 'spreads', 'salad dressing toppings',
  'cocoa drink mixes', 'soy lactosefree', 'baby food formula', 'breakfast bakery', 'tea', 'canned meat seafood',
  'lunch meat', 'baking supplies decor', 'juice nectars', 'canned fruit applesauce', 'missing',
  'air fresheners candles', 'baby bath body care', 'ice cream toppings', 'spices seasonings',
  'doughs gelatins bake mixes', 'hot dogs bacon sausage', 'chips pretzels', 'other creams cheeses', 'skin care',
  'pickled goods olives', 'plates bowls cups flatware', 'bread', 'frozen juice', 'cleaning products',
  'water seltzer sparkling water', 'frozen produce', 'nuts seeds dried fruit', 'first aid', 'frozen dessert',
  'yogurt', 'cereal', 'meat counter', 'packaged vegetables fruits', 'spirits', 'trail mix snack mix',
  'feminine care', 'body lotions soap', 'tortillas flat bread', 'frozen appetizers sides',
  'hot cereal pancake mixes', 'dry pasta', 'beauty', 'muscles joints pain relief', 'specialty wines champagnes',
];

/** Aisles ranked by how many items they sell in the public data, most first (the head of the distribution). */
const TOP_AISLES: readonly string[] = [
  'fresh fruits', 'fresh vegetables', 'packaged vegetables fruits', 'yogurt', 'packaged cheese', 'milk',
  'water seltzer sparkling water', 'chips pretzels', 'soy lactosefree', 'bread', 'refrigerated', 'frozen produce',
  'ice cream ice', 'crackers', 'energy granola bars', 'eggs', 'lunch meat', 'frozen meals', 'baby food formula',
  'fresh herbs', 'soft drinks', 'cereal', 'fresh dips tapenades', 'soup broth bouillon', 'juice nectars',
];

/** Relative weight of each aisle (same order as AISLES): the top aisles by rank, then a Zipf tail. */
export function aisleWeights(): Float64Array {
  const weights = new Float64Array(AISLES.length);
  AISLES.forEach((name, i) => {
    const rank = TOP_AISLES.indexOf(name);
    // fresh fruits ≈ 11 % and fresh vegetables ≈ 10.5 % of items in the real data; the tail falls off slowly.
    weights[i] = rank >= 0 ? 1 / Math.pow(rank + 1, 0.85) : 0.035 / (1 + ((i * 37) % 109) / 20);
  });
  return weights;
}
