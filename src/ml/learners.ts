// The candidate learners `orderflow train` evaluates, in table order, and lookup by algorithm name.
import { averageLearner } from './average.js';
import { decisionTreeLearner, randomForestLearner } from './forest.js';
import { gbmLearner } from './gbm.js';
import { linearLearner } from './linear.js';
import type { Learner } from './model.js';
import { hierarchicalLearner } from './hierarchical.js';
import { poissonLearner } from './poisson.js';

export const LEARNERS: readonly Learner[] = [
  randomForestLearner as unknown as Learner,
  decisionTreeLearner as unknown as Learner,
  linearLearner as unknown as Learner,
  poissonLearner as unknown as Learner,
  hierarchicalLearner as unknown as Learner,
  gbmLearner as unknown as Learner,
  averageLearner as unknown as Learner,
];

export function learnerFor(algorithm: string): Learner | undefined {
  return LEARNERS.find((l) => l.algorithm === algorithm);
}
