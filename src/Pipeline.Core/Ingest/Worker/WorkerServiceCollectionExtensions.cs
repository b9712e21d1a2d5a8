using Amazon.S3;
using Amazon.SQS;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pipeline.Parsing;
using Pipeline.Sink;

namespace Pipeline.Ingest.Worker;

/// <summary>Registers the SQS/S3 worker and the stages it uses; <c>TryAdd</c> so tests can replace parts.</summary>
internal static class WorkerServiceCollectionExtensions
{
    public static IServiceCollection AddPipelineWorker(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<WorkerOptions>().Bind(configuration.GetSection(WorkerOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<WorkerOptions>, WorkerOptionsValidator>();
        services.AddOptions<SinkOptions>().Bind(configuration.GetSection(SinkOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SinkOptions>, AnnotationValidator<SinkOptions>>();
        services.AddOptions<ReaderOptions>().Bind(configuration.GetSection(ReaderOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ReaderOptions>, AnnotationValidator<ReaderOptions>>();

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IAmazonSQS>(_ => new AmazonSQSClient());
        services.TryAddSingleton<IAmazonS3>(sp => new AmazonS3Client(new AmazonS3Config { ForcePathStyle = sp.GetRequiredService<IOptions<WorkerOptions>>().Value.S3ForcePathStyle }));
        services.TryAddSingleton<IDatasetStore>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<WorkerOptions>>().Value;
            OutputLocation.TryParse(options.Output, out var location, out _);
            if (location.IsS3)
            {
                return new S3DatasetStore(sp.GetRequiredService<IAmazonS3>(), location.Bucket!, location.Prefix);
            }

            Directory.CreateDirectory(location.LocalPath!);
            var store = new LocalDatasetStore(location.LocalPath!);
            store.CleanupStaleTempFiles(TimeSpan.FromHours(1));
            return store;
        });
        services.TryAddSingleton(sp => new ProcessedObjectLedger(
            sp.GetRequiredService<IDatasetStore>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<ProcessedObjectLedger>>(),
            stored: sp.GetRequiredService<IOptions<WorkerOptions>>().Value.Ledger));
        services.TryAddSingleton<IPartitionFileWriter>(sp => new ParquetPartitionWriter(
            sp.GetRequiredService<IDatasetStore>(),
            new ParquetPartitionWriterOptions { WriterId = sp.GetRequiredService<IOptions<WorkerOptions>>().Value.WriterId, RowGroupSize = sp.GetRequiredService<IOptions<SinkOptions>>().Value.RowGroupRows },
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<ParquetPartitionWriter>>()));
        services.TryAddSingleton(sp =>
        {
            var ledger = sp.GetRequiredService<ProcessedObjectLedger>();
            return new DatasetSink(
                sp.GetRequiredService<IOptions<SinkOptions>>().Value,
                sp.GetRequiredService<IPartitionFileWriter>(),
                (published, ct) => ledger.MarkProcessedAsync(published, ct),
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<DatasetSink>>());
        });
        services.TryAddSingleton<InFlightTracker>();
        services.TryAddSingleton<WorkerMetrics>();
        services.TryAddSingleton(sp => new WorkerHealth(sp.GetRequiredService<IOptions<WorkerOptions>>().Value.StallTimeout));
        services.TryAddSingleton(sp => new S3ObjectIngestor(
            sp.GetRequiredService<IAmazonS3>(),
            sp.GetRequiredService<ProcessedObjectLedger>(),
            sp.GetRequiredService<IPartitionFileWriter>(),
            sp.GetRequiredService<DatasetSink>(),
            sp.GetRequiredService<IOptions<ReaderOptions>>().Value,
            sp.GetRequiredService<IOptions<SinkOptions>>().Value,
            sp.GetRequiredService<IOptions<WorkerOptions>>().Value,
            sp.GetRequiredService<WorkerMetrics>(),
            sp.GetRequiredService<WorkerHealth>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<S3ObjectIngestor>>()));
        // Hosted services stop in reverse order: the health writer is registered first so that it stops last and its
        // final write records the drained worker, not a running one.
        services.AddHostedService<HealthFileWriter>();
        services.AddSingleton<SqsWorkerService>();
        services.AddHostedService(sp => sp.GetRequiredService<SqsWorkerService>());
        return services;
    }
}
