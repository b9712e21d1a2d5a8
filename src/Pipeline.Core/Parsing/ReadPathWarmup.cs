using System.IO.Compression;
using System.Text;
using Pipeline.Sink;
using Pipeline.Sink.ParquetFormat;

namespace Pipeline.Parsing;

/// <summary>
/// Compiles the read path before the first real object reaches it. The CLI runs without tiered compilation (every
/// method is compiled once, fully optimised), so the first files of a run used to wait while both reader threads
/// compiled the same gzip → pre-scan → parse → projection chain, one of them blocked on the other: ~0.2 s at one
/// core. Reading a two-record in-memory log on a spare core while the command line is parsed moves that work off
/// the critical path. Best effort: any failure here is ignored, the real read compiles what is missing.
/// </summary>
internal static class ReadPathWarmup
{
    private const string Sample = """
        {"Records":[
        {"eventVersion":"1.09","userIdentity":{"type":"AWSService","invokedBy":"s3.amazonaws.com"},"eventTime":"2026-01-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"PutObject","awsRegion":"us-east-1","sourceIPAddress":"s3.amazonaws.com","userAgent":"s3.amazonaws.com","requestParameters":{"bucketName":"b","key":"k"},"responseElements":null,"eventID":"00000000-0000-0000-0000-000000000001","readOnly":false,"eventType":"AwsApiCall","managementEvent":false,"recipientAccountId":"111122223333"},
        {"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE:warm-up","arn":"arn:aws:sts::111122223333:assumed-role/warm-up/warm-up","accountId":"111122223333","accessKeyId":"ASIAEXAMPLE","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLE","arn":"arn:aws:iam::111122223333:role/warm-up","accountId":"111122223333","userName":"warm-up"},"attributes":{"creationDate":"2026-01-01T00:00:00Z","mfaAuthenticated":"false"}}},"eventTime":"2026-01-01T00:00:01Z","eventSource":"kms.amazonaws.com","eventName":"Decrypt","awsRegion":"us-east-1","sourceIPAddress":"10.0.0.1","userAgent":"aws-sdk-java/2.20.0","requestParameters":{"encryptionAlgorithm":"SYMMETRIC_DEFAULT","encryptionContext":{"aws:s3:arn":"arn:aws:s3:::b/k"}},"responseElements":null,"requestID":"r-1","eventID":"00000000-0000-0000-0000-000000000002","readOnly":true,"resources":[{"accountId":"111122223333","type":"AWS::KMS::Key","ARN":"arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000000"}],"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"kms.us-east-1.amazonaws.com"}}
        ]}
        """;

    /// <summary>Starts the warm-up on the thread pool and returns at once.</summary>
    public static void Start() => _ = Task.Run(RunAsync);

    /// <summary>Reads the sample once and encodes its rows; returns the KMS rows read (1), or -1 if anything failed.</summary>
    internal static async Task<long> RunAsync()
    {
        try
        {
            var gzip = new MemoryStream();
            await using (var z = new GZipStream(gzip, CompressionLevel.Fastest, leaveOpen: true))
            {
                await z.WriteAsync(Encoding.UTF8.GetBytes(Sample)).ConfigureAwait(false);
            }

            gzip.Position = 0;
            var source = SourceContext.ForFile("warm-up.json.gz", DateTime.UtcNow);
            var collector = new KmsRecordCollector(source);
            var result = await CloudTrailObjectReader.ReadAsync(gzip, collector, source, ReaderOptions.Default, CancellationToken.None).ConfigureAwait(false);

            // The first flush compiles the sort and the Parquet encoder on the flush thread; do that here too.
            var batch = collector.Batch;
            var rows = new RowRef[batch.Count];
            for (var i = 0; i < rows.Length; i++)
            {
                rows[i] = new RowRef(batch, i);
            }

            new RowSorter().Sort(rows);
            using (var writer = new KmsParquetFileWriter())
            {
                writer.Write(new MemoryStream(), rows, ParquetPartitionWriterOptions.DefaultRowGroupSize, [], CancellationToken.None);
            }

            KmsEventBatchPool.Return(batch);
            return result.KmsRecords;
        }
#pragma warning disable CA1031 // best effort by design: the real read reports every problem
        catch (Exception)
#pragma warning restore CA1031
        {
            return -1;
        }
    }
}
