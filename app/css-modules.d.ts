// CSS Modules, typed without next-env.d.ts (which `next build` generates and git ignores), so
// `npm run typecheck` passes on a fresh clone before any build.
declare module "*.module.css" {
  const classes: Readonly<Record<string, string>>;
  export default classes;
}
