import { describe, expect, it } from 'vitest';
import { parseManifests } from '../parse/manifests.ts';
import { analyse } from '../report.ts';

function notesOf(yaml: string): string[] {
  const parsed = parseManifests('d.yaml', yaml);
  return analyse({ documents: parsed.documents, sources: [], errors: parsed.errors, files: 1 }).notes ?? [];
}

const deployment = (containers: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
${containers}`;

describe('coverage notes', () => {
  it('says when a server container has no CPU limit or request, and says nothing once it has one', () => {
    const unset = notesOf(deployment('        - name: web\n          image: registry.example/web:1\n          command: ["gunicorn", "--workers", "2", "app:app"]\n'));
    expect(unset).toEqual(['d.yaml:1: Deployment web[web]: not checked: no CPU limit or request, so workers and threads are not compared with vCPU (gunicorn.workers-vs-cpu, cloudrun.cpu-scaling)']);
    const set = notesOf(deployment('        - name: web\n          image: registry.example/web:1\n          command: ["gunicorn", "--workers", "2", "app:app"]\n          resources: {requests: {cpu: "2"}}\n'));
    expect(set).toEqual([]);
  });

  it('names streamlit and gradio as interactive app servers pytuner does not tune', () => {
    const notes = notesOf(deployment('        - name: ui\n          image: registry.example/ui:1\n          command: ["streamlit", "run", "app.py"]\n        - name: demo\n          image: registry.example/demo:1\n          command: ["gradio", "app.py"]\n'));
    expect(notes).toHaveLength(2);
    expect(notes[0]).toMatch(/^d\.yaml:1: Deployment web\[ui\]: streamlit is an interactive app server/);
    expect(notes[1]).toMatch(/^d\.yaml:1: Deployment web\[demo\]: gradio is an interactive app server/);
  });

  it('says a free-threaded image changes the GIL rules, and gunicorn.workers-vs-cpu does not flag its gthread worker', () => {
    const parsed = parseManifests('d.yaml', deployment('        - name: web\n          image: python:3.14t-slim\n          command: ["gunicorn", "--workers", "1", "--threads", "8", "app:app"]\n          resources: {limits: {cpu: "4"}}\n'));
    const report = analyse({ documents: parsed.documents, sources: [], errors: [], files: 1 });
    expect(report.notes?.[0]).toContain('free-threaded Python (python:3.14t-slim)');
    expect(report.findings.map((f) => f.rule)).not.toContain('gunicorn.workers-vs-cpu');
  });
});
