/**
 * The gateway executes `@defer` (incremental delivery, README "Realtime"), but the composed API schema
 * does not declare it (graphql 16 has no built-in @defer). Everything that validates client documents
 * outside the gateway — codegen, `schema:check`, `documents push` — adds this declaration.
 */
export const DEFER_DIRECTIVE_SDL = 'directive @defer(label: String, if: Boolean! = true) on FRAGMENT_SPREAD | INLINE_FRAGMENT';
