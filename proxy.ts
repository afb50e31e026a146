import { NextResponse, type NextRequest } from "next/server";
import { REQUESTED_PATH_HEADER } from "./app/_lib/requested-path";

export function proxy(request: NextRequest): NextResponse {
  const headers = new Headers(request.headers);
  headers.set(REQUESTED_PATH_HEADER, `${request.nextUrl.pathname}${request.nextUrl.search}`);
  return NextResponse.next({ request: { headers } });
}

// Console pages only: API routes, static files and the Monaco assets skip this hop.
export const config = { matcher: ["/rules", "/rules/:path*", "/expiring", "/activity", "/users", "/account", "/workers"] };
