import { describe, expect, it } from 'vitest';
import { profilerRequirementLines } from './requirements.ts';

describe('profilerRequirementLines', () => {
  it('finds the agent in requirements.txt, pyproject.toml (PEP 621 and Poetry) and a Pipfile', () => {
    expect(profilerRequirementLines('requirements.txt', 'flask==3.0\ngoogle-cloud-profiler==4.1.0  # agent\n').map((e) => [e.line, e.text])).toEqual([[2, 'google-cloud-profiler==4.1.0']]);
    expect(profilerRequirementLines('pyproject.toml', '[project]\ndependencies = [\n  "fastapi",\n  "google-cloud-profiler>=4",\n]\n').map((e) => e.line)).toEqual([4]);
    expect(profilerRequirementLines('pyproject.toml', '[tool.poetry.dependencies]\ngoogle-cloud-profiler = "^4.1"\n').map((e) => e.line)).toEqual([2]);
    expect(profilerRequirementLines('Pipfile', '[packages]\ngoogle_cloud_profiler = "*"\n').map((e) => e.line)).toEqual([2]);
  });

  it('ignores comments and packages whose name only starts the same', () => {
    expect(profilerRequirementLines('requirements.txt', '# google-cloud-profiler\ngoogle-cloud-profiler-extras==1\ngoogle-cloud-logging\n')).toEqual([]);
  });
});
