import type { ReactNode } from "react";
import { hrefOf, type Route } from "../route.ts";

export function Layout({ route, children }: { route: Route; children: ReactNode }) {
  // A schedule's own page belongs to the Schedules tab.
  const section = route.page === "schedule" ? "schedules" : route.page;
  const tab = (page: Route["page"], label: string, href: string) => (
    <a href={href} className={`nav-link${section === page ? " active" : ""}`} aria-current={section === page ? "page" : undefined}>
      {label}
    </a>
  );
  return (
    <div className="app">
      <header className="topbar">
        <a className="brand" href="#/">
          <span className="brand-mark" aria-hidden="true">
            ◆
          </span>
          dfut
        </a>
        <nav className="nav">
          {tab("dashboard", "Workflows", hrefOf({ page: "dashboard" }))}
          {tab("schedules", "Schedules", hrefOf({ page: "schedules" }))}
          {tab("start", "Start workflow", hrefOf({ page: "start" }))}
        </nav>
      </header>
      <main className="content">{children}</main>
    </div>
  );
}
