import { DynamicModule, Module } from '@nestjs/common';
import { AuditModule } from './audit/audit.module';
import { EventsModule } from './events/events.module';
import { AuthModule } from './auth/auth.module';
import { APP_CONFIG, AppConfig } from './config/config';
import { Runtime, RUNTIME } from './config/runtime';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { IdempotencyModule } from './idempotency/idempotency.module';
import { LessorsModule } from './lessors/lessors.module';
import { LeasesModule } from './leases/leases.module';
import { LookupModule } from './lookup/lookup.module';
import { AllocationsModule } from './allocations/allocations.module';
import { ProvidersModule } from './providers/providers.module';
import { RegionsModule } from './regions/regions.module';
import { ReportsModule } from './reports/reports.module';
import { FxModule } from './fx/fx.module';
import { InvoicesModule } from './invoices/invoices.module';
import { GeofeedModule } from './geofeed/geofeed.module';
import { PeriodsModule } from './periods/periods.module';
import { SchedulerModule } from './scheduler/scheduler.module';
import { WebhooksModule } from './webhooks/webhooks.module';
import { ImportsModule } from './imports/imports.module';
import { ReputationModule } from './reputation/reputation.module';
import { RoutingModule } from './routing/routing.module';
import { RpkiModule } from './rpki/rpki.module';
import { PersistenceModule } from './persistence/persistence.module';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, databaseUrl: string, runtime: Runtime = {}): DynamicModule {
    return {
      module: AppModule,
      global: true,
      imports: [
        DatabaseModule.forRoot(databaseUrl, config.dbPoolSize),
        PersistenceModule,
        EventsModule,
        AuditModule,
        AuthModule,
        IdempotencyModule,
        HealthModule,
        LessorsModule,
        LeasesModule,
        LookupModule,
        AllocationsModule,
        ProvidersModule,
        PeriodsModule,
        RegionsModule,
        ReportsModule,
        FxModule,
        InvoicesModule,
        GeofeedModule,
        WebhooksModule,
        SchedulerModule,
        ImportsModule,
        RpkiModule,
        ReputationModule,
        RoutingModule,
      ],
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: RUNTIME, useValue: runtime },
      ],
      exports: [APP_CONFIG, RUNTIME],
    };
  }
}
