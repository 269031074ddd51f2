import { Stack } from 'aws-cdk-lib';
import * as eventschemas from 'aws-cdk-lib/aws-eventschemas';
import { Construct } from 'constructs';
import { publishedSchemas } from '../../../functions/lambda/publishedEventSchemas.ts';

/**
 * An EventBridge schema registry holding one schema per published event type, generated at synth
 * from the catalog's zod schemas (`z.toJSONSchema`, draft 4: the registry takes draft 4 or
 * OpenAPI 3). Downstream teams download code bindings from it; schema discovery is not turned on,
 * because these schemas are exact where discovered ones are guesses from samples.
 */
export class SchemaRegistry extends Construct {
  readonly registry: eventschemas.CfnRegistry;
  readonly schemas: eventschemas.CfnSchema[] = [];

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.registry = new eventschemas.CfnRegistry(this, 'Registry', {
      registryName: `${Stack.of(this).stackName}-events`,
      description: 'Events the LwM2M fleet publishes on its bus (source lwm2m.fleet): one schema per detail-type',
    });
    for (const schema of publishedSchemas()) {
      const cfn = new eventschemas.CfnSchema(this, schema.detailType, {
        registryName: this.registry.attrRegistryName,
        schemaName: schema.name,
        type: 'JSONSchemaDraft4',
        content: JSON.stringify(schema.jsonSchema),
        description: schema.description.slice(0, 256),
      });
      this.schemas.push(cfn);
    }
  }
}
