/** A user's project in a temporary folder: TypeScript with an enum, an extension-less import and its own node_modules. */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export function writeUserProject(): string {
  const dir = mkdtempSync(join(tmpdir(), "dfut-user-"));
  const write = (path: string, text: string) => {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  write("node_modules/tiny-shout/package.json", JSON.stringify({ name: "tiny-shout", version: "1.0.0", main: "index.js" }));
  write("node_modules/tiny-shout/index.js", 'exports.shout = (s) => s.toUpperCase() + "!";\n');
  write(
    "lib/colors.ts",
    'export enum Color { Red = "red", Blue = "blue" }\nexport interface Paint { color: Color }\n',
  );
  write(
    "paint.ts",
    `import { defineActivity, type WorkflowContext } from "dfut";
import { Color, Paint } from "./lib/colors";
import { shout } from "tiny-shout";

export const paint = defineActivity(async (p: Paint): Promise<string> => shout(\`painted \${p.color}\`), { name: "Paint" });

export async function PaintWorkflow(ctx: WorkflowContext, which: keyof typeof Color): Promise<string> {
  return await ctx.executeActivity(paint, { color: Color[which] });
}

export async function ApprovalWorkflow(ctx: WorkflowContext, item: string) {
  const answer = await ctx.waitForSignal<{ ok: boolean }>("approve");
  return { item, approved: answer.ok };
}

export async function BrokenWorkflow(ctx: WorkflowContext): Promise<never> {
  throw new Error("the order was broken on purpose");
}
`,
  );
  write("syntax.ts", "const a: number = 1;\nexport function x() {\n  return a +;\n}\n");
  write("throws.ts", 'interface A { a: number }\nconst a: A = { a: 1 };\nthrow new Error("refused at load " + a.a);\n');
  return dir;
}
