using Microsoft.Extensions.Logging.Abstractions;
using Pipeline.Generation;
using Pipeline.Ingest;
using Pipeline.Parsing;
using Pipeline.Query;
using Pipeline.Sink;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Query;

/// <summary>A fixed small dataset (generated with a fixed seed, then ingested) shared by the golden tests.</summary>
public sealed class GoldenDatasetFixture : IAsyncLifetime
{
    public string Root { get; } = Path.Combine(Path.GetTempPath(), "pipeline-golden", Guid.NewGuid().ToString("N"));

    public string Data => Path.Combine(Root, "data");

    public async Task InitializeAsync()
    {
        var archive = Path.Combine(Root, "archive");
        await ArchiveGenerator.GenerateAsync(
            new GeneratorOptions { OutputDirectory = archive, Days = 14, EndDate = new DateOnly(2026, 1, 14), Seed = 1234, TargetUncompressedBytes = 1_500_000 },
            null,
            CancellationToken.None);
        // Generated traffic has no incidents; add a file with the key changes and a new principal the queries look for.
        var extra = Path.Combine(archive, "AWSLogs", "o-goldengold", "111122223333", "CloudTrail", "us-east-1", "2026", "01", "14");
        Directory.CreateDirectory(extra);
        await File.WriteAllBytesAsync(Path.Combine(extra, "111122223333_CloudTrail_us-east-1_20260114T2355Z_GoldenGoldenGold.json.gz"), CloudTrailRecords.Gzip(CloudTrailRecords.Document(Incidents())));

        var runner = new LocalIngestRunner(new IngestOptions { WriterId = "golden" }, new ReaderOptions(), new SinkOptions(), new LocalDatasetStore(Data), TimeProvider.System, NullLoggerFactory.Instance);
        var summary = await runner.RunAsync(LocalArchiveWalker.Walk([archive]), CancellationToken.None);
        Assert.Empty(summary.Errors);
    }

    private const string ExternalKeyArn = "arn:aws:kms:us-east-1:999988887777:key/9999aaaa-99aa-99aa-99aa-9999aaaa9999";

    private static string[] Incidents()
    {
        static string Admin(string id, string time, string name, string requestParameters, string responseElements = "null") => $$$$"""
            {"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDAGOLDEN","arn":"arn:aws:iam::111122223333:user/mallory","accountId":"111122223333","userName":"mallory"},"eventTime":"{{{{time}}}}","eventSource":"kms.amazonaws.com","eventName":"{{{{name}}}}","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.66","userAgent":"aws-cli/2.15","requestParameters":{{{{requestParameters}}}},"responseElements":{{{{responseElements}}}},"requestID":"req-{{{{id}}}}","eventID":"{{{{id}}}}","readOnly":false,"resources":[{"accountId":"111122223333","type":"AWS::KMS::Key","ARN":"{{{{CloudTrailRecords.KeyArn}}}}"}],"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}
            """;
        return
        [
            Admin("gold-0001", "2026-01-14T09:00:00Z", "ScheduleKeyDeletion", "{\"keyId\":\"1234abcd-12ab-34cd-56ef-1234567890ab\",\"pendingWindowInDays\":7}", "{\"keyState\":\"PendingDeletion\",\"pendingWindowInDays\":7}"),
            Admin("gold-0002", "2026-01-14T09:05:00Z", "PutKeyPolicy", "{\"keyId\":\"1234abcd-12ab-34cd-56ef-1234567890ab\",\"policyName\":\"default\",\"policy\":\"{\\\"Statement\\\":[{\\\"Effect\\\":\\\"Allow\\\",\\\"Principal\\\":{\\\"AWS\\\":\\\"*\\\"},\\\"Action\\\":\\\"kms:Decrypt\\\"}]}\",\"bypassPolicyLockoutSafetyCheck\":true}"),
            Admin("gold-0003", "2026-01-14T09:10:00Z", "CreateGrant", "{\"keyId\":\"1234abcd-12ab-34cd-56ef-1234567890ab\",\"granteePrincipal\":\"arn:aws:iam::999988887777:role/outsider\",\"operations\":[\"Decrypt\"]}"),
            CloudTrailRecords.AssumedRoleDecrypt("gold-0004", "new-session", "2026-01-14T10:00:00Z").Replace("app-role", "brand-new-role", StringComparison.Ordinal),

            // Ciphertext re-encrypted under a key of an account outside the organization (resources[] names both keys).
            $$$$"""
            {"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDAGOLDEN","arn":"arn:aws:iam::111122223333:user/mallory","accountId":"111122223333","userName":"mallory"},"eventTime":"2026-01-14T09:20:00Z","eventSource":"kms.amazonaws.com","eventName":"ReEncrypt","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.66","userAgent":"aws-cli/2.15","requestParameters":{"sourceEncryptionAlgorithm":"SYMMETRIC_DEFAULT","destinationEncryptionAlgorithm":"SYMMETRIC_DEFAULT","destinationKeyId":"{{{{ExternalKeyArn}}}}"},"responseElements":null,"requestID":"req-gold-0007","eventID":"gold-0007","readOnly":true,"resources":[{"accountId":"111122223333","type":"AWS::KMS::Key","ARN":"{{{{CloudTrailRecords.KeyArn}}}}"},{"accountId":"999988887777","type":"AWS::KMS::Key","ARN":"{{{{ExternalKeyArn}}}}"}],"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}
            """,

            // A Decrypt by a role of another organization account as both trails deliver it (one sharedEventID): the
            // key owner's copy names only the caller's account (AWSAccount); kms_actions keeps the caller's copy.
            CrossAccountDecrypt("gold-0005", "222233334444", """{"type":"AssumedRole","principalId":"AROAGOLDPARTNER:batch","arn":"arn:aws:sts::222233334444:assumed-role/partner-batch/batch","accountId":"222233334444","accessKeyId":"ASIAGOLDPARTNER","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAGOLDPARTNER","arn":"arn:aws:iam::222233334444:role/partner-batch","accountId":"222233334444","userName":"partner-batch"},"attributes":{"creationDate":"2026-01-14T10:00:00Z","mfaAuthenticated":"false"}}}"""),
            CrossAccountDecrypt("gold-0006", "111122223333", """{"type":"AWSAccount","principalId":"AROAGOLDPARTNER:batch","accountId":"222233334444"}"""),
        ];

        static string CrossAccountDecrypt(string id, string recipient, string identity) => $$$$"""
            {"eventVersion":"1.08","userIdentity":{{{{identity}}}},"eventTime":"2026-01-14T11:00:00Z","eventSource":"kms.amazonaws.com","eventName":"Decrypt","awsRegion":"us-east-1","sourceIPAddress":"10.9.8.7","userAgent":"aws-sdk-java/2.25.0","requestParameters":{"encryptionAlgorithm":"SYMMETRIC_DEFAULT"},"responseElements":null,"requestID":"req-gold-shared","eventID":"{{{{id}}}}","readOnly":true,"resources":[{"accountId":"111122223333","type":"AWS::KMS::Key","ARN":"{{{{CloudTrailRecords.KeyArn}}}}"}],"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"{{{{recipient}}}}","sharedEventID":"gold-shared-0001","eventCategory":"Management"}
            """;
    }

    public Task DisposeAsync()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }

        return Task.CompletedTask;
    }
}

/// <summary>
/// Every analyst query in <c>queries/</c> runs as-is and gives the checked-in output on the fixed dataset. Set
/// <c>UPDATE_GOLDEN=1</c> to rewrite the expected files on purpose (then review the diff).
/// </summary>
public sealed class QueryGoldenTests(GoldenDatasetFixture fixture) : IClassFixture<GoldenDatasetFixture>
{
    public static TheoryData<string> QueryFiles() =>
        new(Directory.GetFiles(Path.Combine(RepoRoot.Path, "queries"), "*.sql").Select(Path.GetFileName).Order(StringComparer.Ordinal)!);

    [Theory]
    [MemberData(nameof(QueryFiles))]
    public async Task Query_file_gives_the_checked_in_result(string file)
    {
        var sql = await File.ReadAllTextAsync(Path.Combine(RepoRoot.Path, "queries", file));
        Assert.StartsWith("-- " + file, sql, StringComparison.Ordinal);
        using var query = DatasetQuery.Open(fixture.Data);
        using var output = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
        await QueryRunner.RunScriptAsync(query, sql, output, QueryOutputFormat.Csv, CancellationToken.None);
        var actual = output.ToString().ReplaceLineEndings("\n");

        var expectedPath = Path.Combine(RepoRoot.Path, "tests", "Pipeline.Tests", "Golden", "queries", Path.ChangeExtension(file, ".csv"));
        if (Environment.GetEnvironmentVariable("UPDATE_GOLDEN") == "1")
        {
            await File.WriteAllTextAsync(expectedPath, actual);
        }

        Assert.True(File.Exists(expectedPath), $"no golden file {expectedPath}; run the tests once with UPDATE_GOLDEN=1 and review it");
        Assert.Equal((await File.ReadAllTextAsync(expectedPath)).ReplaceLineEndings("\n"), actual);
        Assert.True(actual.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length > 1, $"{file} returned no rows on the golden dataset");
    }

    [Fact]
    public async Task Daily_zscores_scores_the_operation_it_is_given()
    {
        var sql = await File.ReadAllTextAsync(Path.Combine(RepoRoot.Path, "queries", "daily_zscores.sql"));
        using var query = DatasetQuery.Open(fixture.Data);
        using var output = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);

        await QueryRunner.RunScriptAsync(query, "SET VARIABLE operation = 'Encrypt';\n" + sql, output, QueryOutputFormat.Csv, CancellationToken.None);

        var rows = output.ToString().ReplaceLineEndings("\n").Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(l => l.Split(',')).ToDictionary(c => c[0], c => long.Parse(c[1], System.Globalization.CultureInfo.InvariantCulture));
        var expected = await query.QueryRowsAsync(
            """
            SELECT principal_arn, count(*) FILTER (WHERE error_code IS NULL) FROM kms_actions
            WHERE event_name = 'Encrypt' AND event_date = (SELECT max(event_date) FROM kms_actions) GROUP BY ALL
            """,
            CancellationToken.None);
        Assert.NotEmpty(expected);
        Assert.All(expected, r => Assert.Equal((long)r[1]!, rows[(string)r[0]!]));
    }

    // The README tells DuckDB CLI users to create the views themselves: its block must define what the files need,
    // the way the query command defines it.
    [Fact]
    public async Task The_readme_duckdb_cli_views_give_every_query_file_the_query_commands_result()
    {
        var readme = await File.ReadAllTextAsync(Path.Combine(RepoRoot.Path, "README.md"));
        var intro = readme.IndexOf("In the DuckDB CLI, create the views once", StringComparison.Ordinal);
        Assert.True(intro >= 0, "the README no longer shows the DuckDB CLI set-up");
        var block = readme[(readme.IndexOf("```sql\n", intro, StringComparison.Ordinal) + 7)..];
        block = block[..block.IndexOf("```", StringComparison.Ordinal)];
        var setup = string.Join('\n', block.Split('\n').Where(l => !l.StartsWith('.') && !l.StartsWith("SET VARIABLE", StringComparison.Ordinal)))
            .Replace("pipeline-demo/data", fixture.Data, StringComparison.Ordinal);

        using var cli = new DuckDB.NET.Data.DuckDBConnection("DataSource=:memory:");
        cli.Open();
        foreach (var statement in SqlScript.Split(setup))
        {
            using var command = cli.CreateCommand();
            command.CommandText = statement;
            command.ExecuteNonQuery();
        }

        using var ours = DatasetQuery.Open(fixture.Data);
        foreach (var file in Directory.GetFiles(Path.Combine(RepoRoot.Path, "queries"), "*.sql").Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal))
        {
            var sql = await File.ReadAllTextAsync(Path.Combine(RepoRoot.Path, "queries", file));
            Assert.True(Rows(cli, sql).SequenceEqual(Rows(ours.Connection, sql)), $"{file} differs between the README's views and the query command's");
        }

        static List<string> Rows(System.Data.Common.DbConnection connection, string sql)
        {
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            using var reader = command.ExecuteReader();
            var rows = new List<string>();
            while (reader.Read())
            {
                rows.Add(string.Join('|', Enumerable.Range(0, reader.FieldCount).Select(i => Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture))));
            }

            return rows;
        }
    }
}
