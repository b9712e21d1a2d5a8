using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using DuckDB.NET.Data;
using DuckDB.NET.Native;

namespace Pipeline.Query;

/// <summary>
/// What one statement of an analyst's SQL is, as DuckDB itself reads it: <c>pipeline query</c> runs only statements
/// that read (queries, views and macros, variables, in-memory tables). A guard that looked at the first keyword of
/// each statement, split by a splitter of its own, could be talked past (nested comments, PREPARE/EXECUTE, text that
/// the splitter and DuckDB cut differently), and since DuckDB may write where it may read, a hidden COPY could
/// overwrite the dataset's own files. DuckDB's parser decides here: the statement must be exactly one statement to
/// it, and its prepared form names its type.
/// </summary>
internal static partial class StatementGuard
{
    // duckdb.h's duckdb_statement_type (DuckDB.NET's enum of the same name is numbered differently).
    private enum StatementType
    {
        Invalid = 0,
        Select = 1,
        Insert = 2,
        Update = 3,
        Explain = 4,
        Delete = 5,
        Prepare = 6,
        Create = 7,
        Execute = 8,
        Alter = 9,
        Transaction = 10,
        Copy = 11,
        Analyze = 12,
        VariableSet = 13,
        CreateFunc = 14,
        Drop = 15,
        Export = 16,
        Pragma = 17,
        Vacuum = 18,
        Call = 19,
        Set = 20,
        Load = 21,
        Relation = 22,
        Extension = 23,
        LogicalPlan = 24,
        Attach = 25,
        Detach = 26,
        Multi = 27,
    }

    /// <summary>The outcome for one statement: refused (with what it is), allowed, or not preparable yet.</summary>
    internal readonly record struct Verdict(string? RefusedAs, bool Prepared, string? Problem);

    /// <summary>
    /// Classifies <paramref name="statement"/> on <paramref name="connection"/> (so views and variables of earlier
    /// statements are known). A statement that does not prepare yet (it uses a view an earlier statement creates) is
    /// <see cref="Verdict.Prepared"/> false: check it again just before it runs.
    /// </summary>
    public static Verdict Check(DuckDBConnection connection, string statement)
    {
        // Preparing is not free of effects for every statement: DuckDB creates EXPORT DATABASE's folder while binding
        // it. So the words EXPORT and IMPORT refuse a statement before DuckDB sees it, wherever they are (in a string
        // or a comment too: cheap to avoid, and the safe side).
        if (ExportOrImport().IsMatch(statement))
        {
            return new Verdict("EXPORT or IMPORT (the word appears in it)", true, null);
        }

        var native = connection.NativeConnection;
        var count = NativeMethods.ExtractStatements.DuckDBExtractStatements(native, statement, out var extracted);
        try
        {
            if (count == 0)
            {
                return new Verdict(null, false, NativeMethods.ExtractStatements.DuckDBExtractStatementsError(extracted));
            }

            if (count > 1)
            {
                return new Verdict($"{count} statements to DuckDB (end each one with ';' outside quotes and comments)", true, null);
            }

            var state = NativeMethods.ExtractStatements.DuckDBPrepareExtractedStatement(native, extracted, 0, out var prepared);
            using (prepared)
            {
                if (state != DuckDBState.Success)
                {
                    return new Verdict(null, false, NativeMethods.PreparedStatements.DuckDBPrepareError(prepared));
                }

                // Only ask a prepared statement its type: DuckDB aborts the process when asked about a failed one.
                var type = (StatementType)PreparedStatementType(prepared.DangerousGetHandle());
                return new Verdict(Refusal(type, statement), true, null);
            }
        }
        finally
        {
            extracted.Dispose();
        }
    }

    private static string? Refusal(StatementType type, string statement) => type switch
    {
        StatementType.Select or StatementType.Insert or StatementType.Update or StatementType.Delete or StatementType.Drop
            or StatementType.Alter or StatementType.Transaction or StatementType.Analyze or StatementType.VariableSet
            or StatementType.CreateFunc or StatementType.Pragma or StatementType.Vacuum or StatementType.Call
            or StatementType.Set => null,

        // EXPLAIN ANALYZE runs the statement it explains, whatever that is.
        StatementType.Explain => Analyze().IsMatch(statement) ? "EXPLAIN ANALYZE" : null,

        // A persistent secret is a file in the home folder.
        StatementType.Create => Secret().IsMatch(statement) ? "CREATE SECRET" : null,
        StatementType.Copy => "COPY",
        StatementType.Export => "EXPORT",
        StatementType.Attach => "ATTACH",
        StatementType.Detach => "DETACH",
        StatementType.Load or StatementType.Extension => "INSTALL or LOAD",
        StatementType.Prepare => "PREPARE",
        StatementType.Execute => "EXECUTE",
        _ => $"a {type} statement",
    };

    [GeneratedRegex(@"\b(EXPORT|IMPORT)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ExportOrImport();

    [GeneratedRegex(@"\bANALY[SZ]E\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Analyze();

    [GeneratedRegex(@"\bSECRET\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Secret();

    // The same native library DuckDB.NET loads.
    [LibraryImport("duckdb", EntryPoint = "duckdb_prepared_statement_type")]
    private static partial int PreparedStatementType(IntPtr preparedStatement);
}
