import { useCallback, useEffect, useState } from "react";
import type { WorkflowType } from "../../api/gen/dfut/v1/workflow_pb.ts";
import { api, errorText } from "../api.ts";

export interface WorkflowTypes {
  types: WorkflowType[];
  loading: boolean;
  error?: string;
  reload(): void;
}

/** What running workers registered (workers refresh their registration while they run). */
export function useWorkflowTypes(): WorkflowTypes {
  const [types, setTypes] = useState<WorkflowType[]>([]);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string>();
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    let stale = false;
    setLoading(true);
    api
      .listWorkflowTypes({})
      .then((res) => {
        if (stale) return;
        setTypes(res.workflowTypes);
        setError(undefined);
      })
      .catch((err: unknown) => !stale && setError(errorText(err)))
      .finally(() => !stale && setLoading(false));
    return () => {
      stale = true;
    };
  }, [generation]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { types, loading, error, reload };
}
