/** Hash routing: #/ (dashboard), #/start[/<type>], #/workflows/<id>, #/schedules[/<id>]. */
import { useEffect, useState } from "react";

export type Route =
  | { page: "dashboard" }
  | { page: "start"; workflowType?: string }
  | { page: "workflow"; workflowId: string }
  | { page: "schedules" }
  | { page: "schedule"; scheduleId: string };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  if (parts[0] === "start") return { page: "start", workflowType: parts[1] };
  if (parts[0] === "workflows" && parts[1]) return { page: "workflow", workflowId: parts[1] };
  if (parts[0] === "schedules") return parts[1] ? { page: "schedule", scheduleId: parts[1] } : { page: "schedules" };
  return { page: "dashboard" };
}

export function hrefOf(route: Route): string {
  switch (route.page) {
    case "dashboard":
      return "#/";
    case "start":
      return route.workflowType ? `#/start/${encodeURIComponent(route.workflowType)}` : "#/start";
    case "workflow":
      return `#/workflows/${encodeURIComponent(route.workflowId)}`;
    case "schedules":
      return "#/schedules";
    case "schedule":
      return `#/schedules/${encodeURIComponent(route.scheduleId)}`;
  }
}

export function navigate(route: Route): void {
  window.location.hash = hrefOf(route);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return route;
}
