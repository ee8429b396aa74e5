import { describe, expect, it } from 'vitest';
import { podTargets } from './podTargets.ts';

const pod = (status: Record<string, unknown> | undefined) => ({
  metadata: { name: 'lab-io-00001-deployment-lab', namespace: 'shop', uid: 'u1', labels: { 'serving.knative.dev/revision': 'lab-io-00001', app: 'lab-io-00001' } },
  spec: {
    nodeName: 'lab-node',
    containers: [
      { name: 'user-container', image: 'registry.example/app:1', ports: [{ name: 'user-port', containerPort: 8081, protocol: 'TCP' }] },
      { name: 'queue-proxy', image: 'registry.example/queue:1', ports: [{ name: 'http-autometric', containerPort: 9090 }, { name: 'http-usermetric', containerPort: 9091 }] },
    ],
  },
  ...(status === undefined ? {} : { status }),
});

describe('podTargets (kubernetes_sd pod role)', () => {
  it('gives one target per container port, with the pod, container and port labels', () => {
    const groups = podTargets([pod({ podIP: '10.244.0.11', phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] })]);
    expect(groups.map((g) => g.targets[0])).toEqual(['10.244.0.11:8081', '10.244.0.11:9090', '10.244.0.11:9091']);
    const usermetric = groups[2]!.labels;
    expect(usermetric).toMatchObject({
      __meta_kubernetes_namespace: 'shop',
      __meta_kubernetes_pod_name: 'lab-io-00001-deployment-lab',
      __meta_kubernetes_pod_container_name: 'queue-proxy',
      __meta_kubernetes_pod_container_port_name: 'http-usermetric',
      __meta_kubernetes_pod_container_port_number: '9091',
      __meta_kubernetes_pod_container_port_protocol: 'TCP',
      __meta_kubernetes_pod_ready: 'true',
      __meta_kubernetes_pod_label_serving_knative_dev_revision: 'lab-io-00001',
      __meta_kubernetes_pod_labelpresent_serving_knative_dev_revision: 'true',
    });
  });

  it('leaves out a pod with no IP yet (not running), as discovery has no address for it', () => {
    expect(podTargets([pod(undefined), pod({ phase: 'Pending' })])).toEqual([]);
  });

  it('says a pod is not ready unless its Ready condition is True', () => {
    const [first] = podTargets([pod({ podIP: '10.244.0.11', conditions: [{ type: 'Ready', status: 'False' }] })]);
    expect(first!.labels.__meta_kubernetes_pod_ready).toBe('false');
  });
});
