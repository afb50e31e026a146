import "server-only";

export { parseDashboardEnv, type DashboardEnv } from "../../lib/config/env";
