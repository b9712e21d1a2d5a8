using System.Data.Common;
using System.Text;
using DuckDB.NET.Data;
using Pipeline.Sink;

namespace Pipeline.Query;

/// <summary>
/// An in-memory DuckDB session over a dataset root with three views: <c>kms_events_all</c> (every stored row),
/// <c>kms_events</c> (one row per event, see <see cref="DatasetLayout.EventIdentityColumns"/>: the earliest ingested copy) and <c>kms_actions</c> (one row per action:
/// the cross-account copies of one call, which share a sharedEventID, become the copy that names the caller). File access is confined to the
/// dataset directory and the configuration is locked, so SQL text given by a user cannot read other files.
/// </summary>
internal sealed class DatasetQuery : IDisposable
{
    private readonly DuckDBConnection _connection;
    private string? _tempDirectory;

    private DatasetQuery(string root, DuckDBConnection connection)
    {
        Root = root;
        _connection = connection;
    }

    public string Root { get; }

    /// <summary>The open connection, for callers that need ADO.NET directly (e.g. compaction).</summary>
    public DuckDBConnection Connection => _connection;

    /// <summary>
    /// Opens a session for reading a dataset something has written: besides the folder, its table folder must exist, so
    /// a mistyped path reads as an error instead of an empty, quiet dataset.
    /// </summary>
    public static DatasetQuery OpenWritten(string datasetRoot, string? memoryLimit = null)
    {
        var root = Path.GetFullPath(datasetRoot);
        if (Directory.Exists(root) && !Directory.Exists(Path.Combine(root, DatasetLayout.TableDirectory)))
        {
            throw new DatasetNotFoundException(root, $"'{root}' holds no dataset (no {DatasetLayout.TableDirectory}/ folder): give the folder that ingest --out or Worker:Output wrote.");
        }

        return Open(root, memoryLimit);
    }

    /// <summary>Opens a session over <paramref name="datasetRoot"/>; throws <see cref="DatasetNotFoundException"/> when it does not exist.</summary>
    /// <param name="memoryLimit">DuckDB's <c>memory_limit</c> (e.g. <c>2GB</c>, checked by <see cref="IsMemoryLimit"/>); null keeps DuckDB's default, 80 % of the machine's memory.</param>
    public static DatasetQuery Open(string datasetRoot, string? memoryLimit = null)
    {
        var root = Path.GetFullPath(datasetRoot);
        if (!Directory.Exists(root))
        {
            throw new DatasetNotFoundException(root);
        }

        var connection = new DuckDBConnection("DataSource=:memory:");
        DatasetQuery? query = null;
        try
        {
            connection.Open();
            query = new DatasetQuery(root, connection);
            if (memoryLimit is not null)
            {
                if (!IsMemoryLimit(memoryLimit))
                {
                    throw new ArgumentException($"'{memoryLimit}' is not a memory size such as 512MB or 2GB", nameof(memoryLimit));
                }

                query.Execute("SET memory_limit = " + Literal(memoryLimit.Trim()));
            }

            query.Configure();
            return query;
        }
        catch
        {
            // The session's own Dispose also removes the spill folder Configure may have made.
            if (query is null)
            {
                connection.Dispose();
            }
            else
            {
                query.Dispose();
            }

            throw;
        }
    }

    /// <summary>A size DuckDB takes as <c>memory_limit</c>: a number and a unit (KB, MB, GB, TB, or KiB … TiB).</summary>
    public static bool IsMemoryLimit(string value) =>
        System.Text.RegularExpressions.Regex.IsMatch(value.Trim(), @"^[0-9]+(\.[0-9]+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$", System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    /// <summary>SQL literal of the Parquet glob of the dataset; exposed for EXPLAIN tests and documentation.</summary>
    public string ParquetGlob => Path.Combine(Root, DatasetLayout.TableDirectory, "*", "*" + DatasetLayout.ParquetSuffix);

    private void Configure()
    {
        // TimeZone first: TIMESTAMPTZ values are rendered and truncated in UTC whatever the host's zone is.
        Execute("SET TimeZone = 'UTC'");
        Execute("CREATE VIEW kms_events_all AS " + (HasParquetFiles() ? ScanSql() : EmptySql()));

        // Partitioning the window by event_date too lets DuckDB push an event_date filter below the window into
        // the Parquet scan (partition pruning); event_id alone would force a scan of every partition. Copies of one
        // event never span days because event_date derives from event_time, which is part of the event.
        Execute($"""
            CREATE VIEW kms_events AS
            SELECT * EXCLUDE (dedupe_rn) FROM (
                SELECT *, row_number() OVER (
                    PARTITION BY event_date, {DatasetLayout.EventIdentityColumns} ORDER BY ingest_time, src_key, src_record_index) AS dedupe_rn
                FROM kms_events_all)
            WHERE dedupe_rn = 1
            """);

        // One row per action. A call on a key of another account of the organization is delivered to both accounts'
        // trails with one sharedEventID: the caller's copy names the caller (role, user), the key owner's copy only
        // its account (userIdentity type AWSAccount). Counting per principal on kms_events would see two principals
        // for one call, one of them made up; this keeps the copy that names the caller.
        // One window over the stored rows, not a second one over kms_events: every stored copy of an event has the
        // event's dedupe_key, so picking the preferred copy's event id first and then its earliest ingested copy gives
        // what kms_events would have kept for it (a report over 10 million rows: 21 s with the stacked windows, see
        // benchmarks/README.md).
        // An event without a sharedEventID is its own action, identified as in kms_events (published samples reuse one
        // eventID for different events, so its time and receiving account are part of it); the operation is part of
        // every action's identity (the copies of a shared call name the same one).
        // A network activity event (eventCategory NetworkActivity, eventType AwsVpceEvent: a trail that logs them gives
        // the VPC endpoint's owner one per call through the endpoint) is a second record of a call that KMS also logged
        // as a management event, so it is not an action of its own; a call the endpoint's policy denied
        // (VpceAccessDenied) never reached KMS and has no other record, so it is.
        // The copy kept may not name the key when another copy does (a caller's copy without resources[] or keyId, as
        // for a Decrypt whose key KMS found in the ciphertext): the key columns then come from the key ARN of another
        // copy of the same action, and is_cross_account is worked out again from them, as ingest does. The next three
        // copies in the window's order are looked at (a call has two copies in an organization trail, more only when
        // redelivered): lead() is cheap where max() over the whole partition cost a 10-million-row report ~15 %.
        Execute($"""
            CREATE VIEW kms_actions AS
            SELECT * EXCLUDE (action_rn, copy_key_arn) REPLACE (
                coalesce(key_arn, copy_key_arn) AS key_arn,
                CASE WHEN key_arn IS NULL AND copy_key_arn IS NOT NULL THEN split_part(split_part(copy_key_arn, ':', 6), '/', 2) ELSE key_id END AS key_id,
                CASE WHEN key_arn IS NULL AND copy_key_arn IS NOT NULL THEN split_part(copy_key_arn, ':', 5) ELSE key_account_id END AS key_account_id,
                CASE WHEN key_arn IS NULL AND copy_key_arn IS NOT NULL THEN split_part(copy_key_arn, ':', 4) ELSE key_region END AS key_region,
                CASE WHEN key_arn IS NULL AND copy_key_arn IS NOT NULL
                     THEN coalesce(caller_account_id <> split_part(copy_key_arn, ':', 5), false) ELSE is_cross_account END AS is_cross_account)
            FROM (
                SELECT *, row_number() OVER action AS action_rn, coalesce(lead(key_arn, 1) OVER action, lead(key_arn, 2) OVER action, lead(key_arn, 3) OVER action) AS copy_key_arn
                FROM kms_events_all
                WHERE {ActionFilter}
                WINDOW action AS (
                    PARTITION BY event_date, dedupe_key, event_name, CASE WHEN shared_event_id IS NULL THEN event_time END,
                                 CASE WHEN shared_event_id IS NULL THEN recipient_account_id END
                    ORDER BY principal_kind IS NOT DISTINCT FROM 'account', principal_arn IS NULL, event_id,
                             ingest_time, src_key, src_record_index))
            WHERE action_rn = 1
            """);

        // DuckDB may also read and write its temp_directory, by default .tmp/ under the working folder (whatever is
        // there, or wherever a link of that name points): spills go to a private folder of this session instead.
        _tempDirectory = Path.Combine(Path.GetTempPath(), "pipeline-duckdb-" + Guid.NewGuid().ToString("N"));
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(_tempDirectory);
        }
        else
        {
            Directory.CreateDirectory(_tempDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        Execute("SET temp_directory = " + Literal(_tempDirectory));

        // Reads stay possible inside the dataset only; lock_configuration stops SQL text from undoing this.
        Execute("SET allowed_directories = [" + Literal(Root + Path.DirectorySeparatorChar) + "]");
        Execute("SET enable_external_access = false");
        Execute("SET autoinstall_known_extensions = false");
        Execute("SET autoload_known_extensions = false");
        Execute("SET lock_configuration = true");
    }

    /// <summary>
    /// Which stored rows can be actions: all but network activity events, except the calls a VPC endpoint's policy denied.
    /// The README's DuckDB CLI block and <c>queries/athena/create_table.sql</c> say the same.
    /// </summary>
    internal const string ActionFilter =
        "event_category IS DISTINCT FROM 'NetworkActivity' OR error_code = 'VpceAccessDenied'";

    private bool HasParquetFiles()
    {
        var table = Path.Combine(Root, DatasetLayout.TableDirectory);
        return Directory.Exists(table) && Directory.EnumerateDirectories(table)
            .Any(d => Directory.EnumerateFiles(d, "*" + DatasetLayout.ParquetSuffix).Any(f => !LocalDatasetStore.IsTemp(Path.GetFileName(f))));
    }

    private string ScanSql() =>
        "SELECT * FROM read_parquet(" + Literal(ParquetGlob)
        + ", hive_partitioning = true, union_by_name = true, hive_types = {'event_date': DATE}, hive_types_autocast = false)";

    /// <summary>A typed, empty relation with the columns the scan would have, so queries bind before the first file exists.</summary>
    private static string EmptySql()
    {
        var sb = new StringBuilder("SELECT ");
        foreach (var column in KmsSchema.Columns)
        {
            sb.Append("CAST(NULL AS ").Append(DuckDbType(column.Kind)).Append(") AS ").Append(column.Name).Append(", ");
        }

        return sb.Append("CAST(NULL AS DATE) AS event_date WHERE false").ToString();
    }

    /// <summary>DuckDB type that a Parquet column of <paramref name="kind"/> reads back as.</summary>
    public static string DuckDbType(ColumnKind kind) => kind switch
    {
        ColumnKind.String => "VARCHAR",
        ColumnKind.Timestamp => "TIMESTAMP WITH TIME ZONE",
        ColumnKind.Boolean => "BOOLEAN",
        ColumnKind.Int32 => "INTEGER",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>A single-quoted SQL string literal.</summary>
    public static string Literal(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    /// <summary>Runs a statement that returns no rows we need.</summary>
    public async Task ExecuteAsync(string sql, CancellationToken cancellationToken)
    {
        using var command = CreateCommand(sql, []);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs a query and returns all rows; <paramref name="parameters"/> bind to <c>$1</c>, <c>$2</c>, ... (or <c>?</c>).</summary>
    public async Task<IReadOnlyList<object?[]>> QueryRowsAsync(string sql, CancellationToken cancellationToken, params object?[] parameters)
    {
        using var command = CreateCommand(sql, parameters);
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var rows = new List<object?[]>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }

            rows.Add(row);
        }

        return rows;
    }

    /// <summary>Runs a query and returns the first column of the first row, or null.</summary>
    public async Task<object?> QueryScalarAsync(string sql, CancellationToken cancellationToken, params object?[] parameters)
    {
        using var command = CreateCommand(sql, parameters);
        var value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return value is DBNull ? null : value;
    }

    /// <summary>Runs <paramref name="sql"/> and streams its result to <paramref name="output"/>; returns the row count.</summary>
    public async Task<long> WriteResultAsync(string sql, TextWriter output, QueryOutputFormat format, CancellationToken cancellationToken)
    {
        using var command = CreateCommand(sql, []);
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return format switch
        {
            QueryOutputFormat.Table => await TableResultWriter.WriteAsync(reader, output, cancellationToken).ConfigureAwait(false),
            QueryOutputFormat.Csv => await CsvResultWriter.WriteAsync(reader, output, cancellationToken).ConfigureAwait(false),
            QueryOutputFormat.Json => await JsonResultWriter.WriteAsync(reader, output, cancellationToken).ConfigureAwait(false),
            _ => throw new ArgumentOutOfRangeException(nameof(format)),
        };
    }

    public void Dispose()
    {
        _connection.Dispose();
        if (_tempDirectory is not null)
        {
            try
            {
                Directory.Delete(_tempDirectory, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: a folder left in the temp area holds nothing but this session's spills.
            }
        }
    }

    private void Execute(string sql)
    {
        using var command = CreateCommand(sql, []);
        command.ExecuteNonQuery();
    }

    private DbCommand CreateCommand(string sql, object?[] parameters)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var value in parameters)
        {
            command.Parameters.Add(new DuckDBParameter(value ?? DBNull.Value));
        }

        return command;
    }
}
