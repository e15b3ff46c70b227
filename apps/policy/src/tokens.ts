/** Injection tokens of the policy app (the processor's own come from #platform). */
export const OUTCOME_STORE = Symbol('policy.outcome-store');
