import { Layout } from "./components/Layout.tsx";
import { Dashboard } from "./pages/Dashboard.tsx";
import { SchedulePage } from "./pages/SchedulePage.tsx";
import { SchedulesPage } from "./pages/SchedulesPage.tsx";
import { StartPage } from "./pages/StartPage.tsx";
import { WorkflowPage } from "./pages/WorkflowPage.tsx";
import { useRoute } from "./route.ts";

export function App() {
  const route = useRoute();
  return (
    <Layout route={route}>
      {route.page === "dashboard" && <Dashboard />}
      {route.page === "start" && <StartPage initialType={route.workflowType} />}
      {route.page === "workflow" && <WorkflowPage key={route.workflowId} workflowId={route.workflowId} />}
      {route.page === "schedules" && <SchedulesPage />}
      {route.page === "schedule" && <SchedulePage key={route.scheduleId} scheduleId={route.scheduleId} />}
    </Layout>
  );
}
