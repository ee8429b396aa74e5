/**
 * @module pytuner's custom resources, `pytuner.dev/v1alpha1`: TuningPolicy and TuningRecommendation schemas (zod),
 * their types, and the pure helpers the controller and the actuator share.
 */
export * from './common.ts';
export * from './tuningPolicy.ts';
export * from './tuningRecommendation.ts';
