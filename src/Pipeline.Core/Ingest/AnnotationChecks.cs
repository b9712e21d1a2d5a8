using System.ComponentModel.DataAnnotations;
using System.Reflection;
using Microsoft.Extensions.Options;

namespace Pipeline.Ingest;

/// <summary>
/// The data-annotation checks (<c>[Range]</c>) of a settings object, property by property, in declaration order. The
/// same checks and messages as <see cref="Validator.TryValidateObject(object, ValidationContext, ICollection{ValidationResult}, bool)"/>,
/// without the type-descriptor machinery it builds on first use: that set-up was ~6 ms of every command's start,
/// on the main thread before the first file is read.
/// </summary>
internal static class AnnotationChecks
{
    /// <summary>Every failed check; each result names its property in <see cref="ValidationResult.MemberNames"/>.</summary>
    public static List<ValidationResult> Check(object options)
    {
        var results = new List<ValidationResult>();
        foreach (var property in options.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (!property.CanRead || property.GetIndexParameters().Length > 0)
            {
                continue;
            }

            ValidationContext? context = null;
            object? value = null;
            foreach (var attribute in property.GetCustomAttributes<ValidationAttribute>(inherit: true))
            {
                if (context is null)
                {
                    context = new ValidationContext(options) { MemberName = property.Name, DisplayName = property.Name };
                    value = property.GetValue(options);
                }

                if (attribute.GetValidationResult(value, context) is { } result && result != ValidationResult.Success)
                {
                    results.Add(result);
                }
            }
        }

        return results;
    }
}

/// <summary>Validates options of type <typeparamref name="T"/> with <see cref="AnnotationChecks"/> (the host's <c>ValidateOnStart</c>).</summary>
internal sealed class AnnotationValidator<T> : IValidateOptions<T>
    where T : class
{
    public ValidateOptionsResult Validate(string? name, T options)
    {
        var failures = AnnotationChecks.Check(options);
        return failures.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(failures.Select(f => $"{typeof(T).Name}.{string.Join(",", f.MemberNames)}: {f.ErrorMessage}"));
    }
}
