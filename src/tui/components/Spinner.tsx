import { Text, useAnimation } from "ink";

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/** A one-character spinner; ink's shared animation timer drives it while `active`. */
export function Spinner({ color = "cyan", active = true }: { color?: string; active?: boolean }) {
  const { frame } = useAnimation({ interval: 80, isActive: active });
  return <Text color={color}>{FRAMES[frame % FRAMES.length]}</Text>;
}
