import type { ReactNode } from "react";
import { hrefOf, type Route } from "../route.ts";

export function Layout({ route, children }: { route: Route; children: ReactNode }) {
  const tab = (page: Route["page"], label: string, href: string) => (
    <a href={href} className={`nav-link${route.page === page ? " active" : ""}`} aria-current={route.page === page ? "page" : undefined}>
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
          {tab("start", "Start workflow", hrefOf({ page: "start" }))}
        </nav>
      </header>
      <main className="content">{children}</main>
    </div>
  );
}
