/**
 * @module Test builders: model objects (Workload, ImageFacts, Inventory) described as sentences, as in
 * controller-rs `Document::test().finalized()`. Rule tests build what they need here instead of pasting YAML.
 */
export { knativeService, deployment, ContainerBuilder, WorkloadBuilder } from './workload.ts';
export { dockerfile, DockerfileBuilder } from './image.ts';
export { inventory, InventoryBuilder } from './inventory.ts';
export { gunicorn, uwsgi, uvicorn, waitress } from './server.ts';
export type { Knob, GunicornOptions, UwsgiOptions, UvicornOptions, WaitressOptions } from './server.ts';
