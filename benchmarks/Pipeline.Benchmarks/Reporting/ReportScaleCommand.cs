using System.Diagnostics;
using System.Globalization;
using DuckDB.NET.Data;
using Pipeline.Analysis;
using Pipeline.Query;
using Pipeline.Sink;

namespace Pipeline.Benchmarks.Reporting;

/// <summary>
/// <c>report-scale [--events N] [--days D] [--out DIR]</c>: builds a synthetic <c>kms_events</c> dataset of N rows over
/// D days directly with DuckDB (same columns and layout as the writer), then times the daily report on its last day.
/// The data is synthetic on purpose: generating 10 million events as CloudTrail JSON would take far longer than the
/// report being measured.
/// </summary>
internal static class ReportScaleCommand
{
    public const string Name = "report-scale";

    public static int Run(string[] args)
    {
        var events = Arg(args, "--events", 10_000_000L);
        var days = (int)Arg(args, "--days", 90L);
        var root = args.SkipWhile(a => a != "--out").Skip(1).FirstOrDefault() ?? Path.Combine(Path.GetTempPath(), "pipeline-report-scale");
        var end = new DateOnly(2026, 1, 31);
        var start = end.AddDays(1 - days);

        var table = Path.Combine(root, DatasetLayout.TableDirectory);
        if (!Directory.Exists(table))
        {
            var watch = Stopwatch.StartNew();
            Directory.CreateDirectory(root);
            using var connection = new DuckDBConnection("DataSource=:memory:");
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SET TimeZone = 'UTC'; " + CopySql(events, start, days, table);
            command.ExecuteNonQuery();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"built {events:N0} rows over {days} days in {root} in {watch.Elapsed.TotalSeconds:F1} s"));
        }

        var total = Stopwatch.StartNew();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        using var query = DatasetQuery.Open(root);
        var rows = Convert.ToInt64(query.QueryScalarAsync("SELECT count(*) FROM kms_events_all", CancellationToken.None).GetAwaiter().GetResult(), CultureInfo.InvariantCulture);
        var report = new DailyReportBuilder(new AnalysisOptions(), TimeProvider.System).BuildAsync(query, end, CancellationToken.None).GetAwaiter().GetResult();
        var elapsed = total.Elapsed;
        var cpuUsed = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"report for {end:yyyy-MM-dd} over {rows:N0} rows: {elapsed.TotalSeconds:F1} s wall, {cpuUsed.TotalSeconds:F1} s CPU, {report.Findings.Count} findings, peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576} MB"));
        return 0;
    }

    private static long Arg(string[] args, string name, long fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? long.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    // 500 roles in 5 accounts, 200 keys, Decrypt-heavy, 1 % failures, a few cross-account callers; every column of the
    // schema, with the writer's types.
    private static string CopySql(long events, DateOnly start, int days, string table)
    {
        var select = string.Join(",\n", KmsSchema.Columns.Select(c => $"CAST({Expression(c.Name)} AS {DatasetQuery.DuckDbType(c.Kind)}) AS {c.Name}"));
        return $"""
            COPY (
              SELECT {select}, CAST(event_time AS DATE) AS event_date FROM (
                SELECT i,
                       TIMESTAMPTZ '{start:yyyy-MM-dd} 00:00:00+00' + to_seconds((hash(i) % {days * 86400}::UBIGINT)::BIGINT) AS event_time,
                       (hash(i * 7) % 500)::INTEGER AS p, (hash(i * 13) % 200)::INTEGER AS k, (hash(i * 17) % 100)::INTEGER AS r
                FROM range({events}) t(i)))
            TO '{table}' (FORMAT parquet, PARTITION_BY (event_date), COMPRESSION zstd, OVERWRITE_OR_IGNORE)
            """;
    }

    private static string Expression(string column) => column switch
    {
        "event_id" => "'evt-' || i",
        "event_time" => "event_time",
        "event_name" => "CASE WHEN r < 80 THEN 'Decrypt' WHEN r < 95 THEN 'GenerateDataKey' WHEN r < 99 THEN 'Encrypt' ELSE 'DescribeKey' END",
        "event_type" => "'AwsApiCall'",
        "aws_region" => "'us-east-1'",
        "error_code" => "CASE WHEN hash(i * 3) % 100 = 0 THEN 'AccessDenied' END",
        "read_only" => "true",
        "recipient_account_id" => "lpad(((k % 5) + 100000000000)::VARCHAR, 12, '0')",
        "dedupe_key" => "'evt-' || i",
        "identity_type" => "'AssumedRole'",
        "caller_account_id" => "lpad(((p % 5) + 100000000000 + CASE WHEN p = 499 THEN 7 ELSE 0 END)::VARCHAR, 12, '0')",
        "principal_arn" => "'arn:aws:iam::' || lpad(((p % 5) + 100000000000)::VARCHAR, 12, '0') || ':role/app-' || p",
        "principal_kind" => "'role'",
        "session_name" => "'session-' || (i % 1000)",
        "key_arn" => "'arn:aws:kms:us-east-1:' || lpad(((k % 5) + 100000000000)::VARCHAR, 12, '0') || ':key/00000000-0000-0000-0000-' || lpad(k::VARCHAR, 12, '0')",
        "key_account_id" => "lpad(((k % 5) + 100000000000)::VARCHAR, 12, '0')",
        "is_cross_account" => "(p % 5) <> (k % 5)",
        "is_aws_service_call" => "false",
        "src_key" => "'synthetic'",
        "src_record_index" => "0",
        "ingest_time" => "TIMESTAMPTZ '2026-02-01 00:00:00+00'",
        _ => "NULL",
    };
}
